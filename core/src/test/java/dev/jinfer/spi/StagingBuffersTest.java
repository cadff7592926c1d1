package dev.jinfer.spi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

/** The pool of reused direct buffers that backends stage heap-backed inputs in. */
class StagingBuffersTest {
  @Test
  void acquire_givesALittleEndianDirectBuffer_ofTheSizeAsked_roundedUpInCapacity() {
    StagingBuffers staging = new StagingBuffers(4);
    ByteBuffer b = staging.acquire(32 * 1024 + 4);
    assertThat(b.isDirect()).isTrue();
    assertThat(b.order()).isEqualTo(ByteOrder.LITTLE_ENDIAN);
    assertThat(b.position()).isZero();
    assertThat(b.limit()).isEqualTo(32 * 1024 + 4);
    assertThat(b.capacity()).isEqualTo(64 * 1024);
    assertThat(staging.acquire(10).capacity()).isEqualTo(4096);
    assertThat(staging.acquire(8192).capacity()).isEqualTo(8192);
  }

  @Test
  void aReleasedBuffer_isReused_bySmallerOrEqualRequests_butNotByLargerOnes() {
    StagingBuffers staging = new StagingBuffers(4);
    ByteBuffer first = staging.acquire(5000);
    first.position(100);
    staging.release(first);
    assertThat(staging.idle()).isEqualTo(1);
    ByteBuffer again = staging.acquire(6000);
    assertThat(again).isSameAs(first);
    assertThat(again.position()).isZero();
    assertThat(again.limit()).isEqualTo(6000);
    assertThat(staging.idle()).isZero();
    staging.release(again);
    ByteBuffer larger = staging.acquire(9000);
    assertThat(larger).isNotSameAs(first);
    assertThat(staging.idle()).as("the small one stays idle").isEqualTo(1);
    staging.release(larger);
    assertThat(staging.idle()).isEqualTo(2);
  }

  @Test
  void whenEverySlotIsTaken_aLargerBufferReplacesASmallerOne_andOthersAreDropped() {
    StagingBuffers staging = new StagingBuffers(1);
    ByteBuffer small = staging.acquire(4096);
    ByteBuffer big = staging.acquire(1 << 16);
    ByteBuffer other = staging.acquire(4096);
    staging.release(small);
    staging.release(big);
    staging.release(other);
    assertThat(staging.idle()).isEqualTo(1);
    assertThat(staging.acquire(100)).isSameAs(big);
  }

  @Test
  void buffersAboveTheLimit_andBuffersAfterClose_areNotKept() {
    StagingBuffers staging = new StagingBuffers(4);
    ByteBuffer huge = staging.acquire(StagingBuffers.MAX_POOLED_BYTES + 1);
    assertThat(huge.capacity()).isEqualTo(StagingBuffers.MAX_POOLED_BYTES + 1);
    staging.release(huge);
    assertThat(staging.idle()).isZero();
    ByteBuffer b = staging.acquire(100);
    staging.release(b);
    assertThat(staging.idle()).isEqualTo(1);
    staging.close();
    assertThat(staging.idle()).isZero();
    staging.release(staging.acquire(100));
    assertThat(staging.idle()).isZero();
  }

  @Test
  void aPoolWithoutSlots_isRefused() {
    assertThatThrownBy(() -> new StagingBuffers(0)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("slots must be > 0 but was 0");
  }
}
