package dev.jinfer.examples.rest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The thread's kept generator writes each answer whole into its own buffer, and a failed answer leaves nothing behind. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class JsonOutTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static String answer(JsonOut.Body body) throws IOException {
    ByteBuf buf = Unpooled.buffer();
    JsonOut.write(JSON.getFactory(), buf, body);
    return buf.toString(StandardCharsets.UTF_8);
  }

  @Test
  void eachAnswer_isOneWholeValueInItsOwnBuffer_evenAfterOneFailedHalfWritten() throws Exception {
    for (int i = 0; i < 3; i++) {
      int n = i;
      assertThat(answer(g -> {
        g.writeStartObject();
        g.writeNumberField("n", n);
        g.writeArrayFieldStart("a");
        g.writeNumber(1.5f);
        g.writeEndArray();
        g.writeEndObject();
      })).isEqualTo("{\"n\":" + n + ",\"a\":[1.5]}");
    }
    Throwable e = catchThrowable(() -> answer(g -> {
      g.writeStartObject();
      g.writeArrayFieldStart("half");
      g.writeNumber(7);
      throw new IOException("the body failed half-written");
    }));
    assertThat(e).hasMessage("the body failed half-written");
    Throwable open = catchThrowable(() -> answer(g -> {
      g.writeStartObject();
      g.writeStringField("unclosed", "x");
    }));
    assertThat(open).isInstanceOf(IllegalStateException.class).hasMessageContaining("ended inside a value");
    assertThat(answer(g -> {
      g.writeStartObject();
      g.writeStringField("after", "clean");
      g.writeEndObject();
    })).isEqualTo("{\"after\":\"clean\"}");
    assertThat(JSON.readTree(answer(g -> {
      g.writeStartArray();
      g.writeEndArray();
    })).isArray()).isTrue();
  }

  @Test
  void threads_neverShareAGenerator() throws Exception {
    int threads = 4;
    String[][] seen = new String[threads][200];
    Thread[] ts = new Thread[threads];
    for (int t = 0; t < threads; t++) {
      int id = t;
      ts[t] = new Thread(() -> {
        for (int i = 0; i < seen[id].length; i++) {
          int k = i;
          try {
            seen[id][i] = answer(g -> {
              g.writeStartObject();
              g.writeNumberField("thread", id);
              g.writeNumberField("i", k);
              g.writeEndObject();
            });
          } catch (IOException x) {
            seen[id][i] = x.toString();
          }
        }
      });
      ts[t].start();
    }
    for (Thread t : ts) {
      t.join(30_000);
    }
    for (int t = 0; t < threads; t++) {
      for (int i = 0; i < seen[t].length; i++) {
        assertThat(seen[t][i]).isEqualTo("{\"thread\":" + t + ",\"i\":" + i + "}");
      }
    }
  }
}
