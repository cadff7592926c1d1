/** Implementation details of core; not API, may change without notice. */
@NullMarked
package dev.jinfer.internal;

import org.jspecify.annotations.NullMarked;
