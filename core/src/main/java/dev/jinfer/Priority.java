package dev.jinfer;

/**
 * How urgently a call should be served, carried by {@link CallOptions} through every decorator.
 *
 * <p>A batching predictor takes queued {@link #HIGH} requests before {@link #NORMAL} ones when it forms a
 * batch (first in, first out within a level) and, when its queue is full, lets a high-priority request
 * displace the most recently queued normal one instead of being rejected. Priorities change the order of
 * service, never a queue delay. Predictors that have no queue ignore it. Thread-safe (an enum).
 */
public enum Priority {
  /** Served first where there is a queue; may displace a queued normal request when the queue is full. */
  HIGH,
  /** The default. */
  NORMAL
}
