package dev.jinfer.examples.rest;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.netty.buffer.ByteBuf;
import java.io.IOException;
import java.io.OutputStream;
import org.jspecify.annotations.Nullable;

/**
 * The calling thread's JSON generator for answers, kept from one answer to the next: each answer is written as the
 * next root value of one endless stream (without the space Jackson puts between root values) into the answer's
 * buffer, then flushed there. A generator per answer (with its I/O context, output buffer and writing contexts) cost
 * about half a kilobyte per request; this one keeps them. An answer that fails half-written drops the generator, so
 * the thread's next answer starts from a clean one. Not thread-safe: one per thread, used by one answer at a time.
 */
final class JsonOut {
  /** Answers a generator writes before it is replaced, so that its counters never grow far. */
  private static final int MAX_USES = 1 << 20;
  private static final ThreadLocal<JsonOut> OUTS = new ThreadLocal<>();

  private final JsonFactory factory;
  private final Target target = new Target();
  private @Nullable JsonGenerator generator;
  private int uses;

  private JsonOut(JsonFactory factory) {
    this.factory = factory;
  }

  /** What to write into an answer. */
  @FunctionalInterface
  interface Body {
    void write(JsonGenerator g) throws IOException;
  }

  /**
   * Writes one JSON value into {@code buf} with the calling thread's generator.
   *
   * @param factory the factory whose generator to use (the thread keeps one per factory it last used)
   * @param buf where the bytes go
   * @param body writes exactly one whole JSON value
   * @throws IOException from the body; the thread's generator is then dropped
   */
  static void write(JsonFactory factory, ByteBuf buf, Body body) throws IOException {
    out(factory).writeOne(buf, body, false);
  }

  /**
   * Writes one JSON object into {@code buf} with the calling thread's generator: its braces, and the fields
   * {@code fields} writes between them.
   *
   * @throws IOException from the body; the thread's generator is then dropped
   */
  static void writeObject(JsonFactory factory, ByteBuf buf, Body fields) throws IOException {
    out(factory).writeOne(buf, fields, true);
  }

  private static JsonOut out(JsonFactory factory) {
    JsonOut out = OUTS.get();
    if (out == null || out.factory != factory) {
      if (out != null) {
        out.drop();
      }
      out = new JsonOut(factory);
      OUTS.set(out);
    }
    return out;
  }

  private void writeOne(ByteBuf buf, Body body, boolean object) throws IOException {
    JsonGenerator g = generator;
    if (g == null || uses >= MAX_USES) {
      drop();
      g = factory.createGenerator(target);
      g.setRootValueSeparator(null);
      generator = g;
      uses = 0;
    }
    uses++;
    target.buf = buf;
    boolean ok = false;
    try {
      if (object) {
        g.writeStartObject();
        body.write(g);
        g.writeEndObject();
      } else {
        body.write(g);
      }
      if (!g.getOutputContext().inRoot()) {
        throw new IllegalStateException("an answer's JSON ended inside a value: " + g.getOutputContext());
      }
      g.flush();
      ok = true;
    } finally {
      target.buf = null;
      if (!ok) {
        drop();
      }
    }
  }

  private void drop() {
    JsonGenerator g = generator;
    generator = null;
    if (g != null) {
      Target t = target;
      t.buf = null; // whatever the generator still holds goes nowhere
      try {
        g.close();
      } catch (IOException | RuntimeException e) {
        // closing a generator whose output is discarded: nothing to report
      }
    }
  }

  /** The stream the generator writes to: the current answer's buffer, or nothing between answers. */
  private static final class Target extends OutputStream {
    @Nullable ByteBuf buf;

    @Override
    public void write(int b) {
      ByteBuf t = buf;
      if (t != null) {
        t.writeByte(b);
      }
    }

    @Override
    public void write(byte[] b, int off, int len) {
      ByteBuf t = buf;
      if (t != null) {
        t.writeBytes(b, off, len);
      }
    }
  }
}
