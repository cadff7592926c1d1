package dev.jinfer.batching;

/**
 * How urgently a request should be served by a {@link BatchingPredictor}.
 *
 * <p>When a batch is formed, queued {@link #HIGH} requests are taken before {@link #NORMAL} ones (first
 * in, first out within a level), and a group holding a high-priority request is served before a group
 * that holds none. When the queue is full, a high-priority request displaces the most recently queued
 * normal one instead of being rejected. Priorities change the order of service, never the queue delay:
 * a lone high-priority request still waits for the batch window. Thread-safe (an enum).
 */
public enum Priority {
  /** Taken first; may displace a queued normal request when the queue is full. */
  HIGH,
  /** The default. */
  NORMAL
}
