package dev.jinfer;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * An ordered, immutable map from names to tensors: the inputs of a request or the outputs of a model.
 *
 * <p>Thread-safe.
 */
public final class NamedTensors implements Iterable<Map.Entry<String, Tensor>> {
  private static final NamedTensors EMPTY = new NamedTensors(Map.of());

  private final Map<String, Tensor> map;
  /**
   * The entry of a one-tensor map (the common request), so that iterating it costs one small iterator rather than
   * the entry, set and iterator {@code Map.of}'s entry set makes per call.
   */
  private final Map.@Nullable Entry<String, Tensor> only;

  private NamedTensors(Map<String, Tensor> map) {
    this.map = map;
    this.only = null;
  }

  private NamedTensors(String name, Tensor tensor) {
    this.map = Map.of(name, tensor);
    this.only = Map.entry(name, tensor);
  }

  /**
   * No tensors.
   *
   * @return the empty instance
   */
  public static NamedTensors empty() {
    return EMPTY;
  }

  /**
   * One named tensor.
   *
   * @param name the input or output name
   * @param tensor the tensor
   * @return the map
   * @throws InvalidInputException if the name or tensor is null
   */
  public static NamedTensors of(String name, Tensor tensor) {
    // the common one-input request: no builder, no map copy
    if (name == null) {
      throw new InvalidInputException("input name: expected a name but got null");
    }
    if (tensor == null) {
      throw new InvalidInputException("input '" + name + "': expected a tensor but got null");
    }
    return new NamedTensors(name, tensor);
  }

  /**
   * Two named tensors, in this order.
   *
   * @param name1 first name
   * @param tensor1 first tensor
   * @param name2 second name
   * @param tensor2 second tensor
   * @return the map
   * @throws InvalidInputException if a name or tensor is null, or the names repeat
   */
  public static NamedTensors of(String name1, Tensor tensor1, String name2, Tensor tensor2) {
    return newBuilder().put(name1, tensor1).put(name2, tensor2).build();
  }

  /**
   * Copies a map, keeping its iteration order.
   *
   * @param tensors the tensors by name
   * @return the map
   * @throws InvalidInputException if the map, a name or a tensor is null
   */
  public static NamedTensors copyOf(Map<String, Tensor> tensors) {
    if (tensors == null) {
      throw new InvalidInputException("inputs: expected a map of named tensors but got null");
    }
    Builder b = newBuilder();
    tensors.forEach(b::put);
    return b.build();
  }

  /**
   * A builder that keeps insertion order.
   *
   * @return a new builder
   */
  public static Builder newBuilder() {
    return new Builder();
  }

  /**
   * The tensor with a name.
   *
   * @param name the name
   * @return the tensor
   * @throws java.util.NoSuchElementException if there is none, naming the ones present
   */
  public Tensor get(String name) {
    Tensor t = map.get(name);
    if (t == null) {
      throw new java.util.NoSuchElementException("no tensor named '" + name + "'; present: " + map.keySet());
    }
    return t;
  }

  /**
   * The tensor with a name, if present.
   *
   * @param name the name
   * @return the tensor or empty
   */
  public Optional<Tensor> find(String name) {
    return Optional.ofNullable(map.get(name));
  }

  /**
   * Whether a name is present.
   *
   * @param name the name
   * @return true if present
   */
  public boolean contains(String name) {
    return map.containsKey(name);
  }

  /**
   * The names, in order.
   *
   * @return an unmodifiable ordered set
   */
  public Set<String> names() {
    return map.keySet();
  }

  /**
   * The tensors, in order.
   *
   * @return an unmodifiable list
   */
  public List<Tensor> tensors() {
    return List.copyOf(map.values());
  }

  /**
   * The number of tensors.
   *
   * @return the size
   */
  public int size() {
    return map.size();
  }

  /**
   * Whether there are no tensors.
   *
   * @return true if empty
   */
  public boolean isEmpty() {
    return map.isEmpty();
  }

  /**
   * The same tensors as an unmodifiable ordered map.
   *
   * @return the map view
   */
  public Map<String, Tensor> asMap() {
    return map;
  }

  /**
   * Only the named tensors, in the order given.
   *
   * @param names names present in this map
   * @return the subset
   * @throws java.util.NoSuchElementException if a name is absent
   */
  public NamedTensors select(List<String> names) {
    Builder b = newBuilder();
    for (String n : names) {
      b.put(n, get(n));
    }
    return b.build();
  }

  @Override
  public Iterator<Map.Entry<String, Tensor>> iterator() {
    Map.Entry<String, Tensor> one = only;
    return one != null ? new One(one) : map.entrySet().iterator();
  }

  /** Iterates one entry. Not thread-safe (as any iterator). */
  private static final class One implements Iterator<Map.Entry<String, Tensor>> {
    private Map.@Nullable Entry<String, Tensor> next;

    One(Map.Entry<String, Tensor> entry) {
      this.next = entry;
    }

    @Override
    public boolean hasNext() {
      return next != null;
    }

    @Override
    public Map.Entry<String, Tensor> next() {
      Map.Entry<String, Tensor> e = next;
      if (e == null) {
        throw new java.util.NoSuchElementException();
      }
      next = null;
      return e;
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof NamedTensors && new ArrayList<>(map.entrySet()).equals(new ArrayList<>(((NamedTensors) o).map.entrySet()));
  }

  @Override
  public int hashCode() {
    return map.hashCode();
  }

  @Override
  public String toString() {
    return map.toString();
  }

  /** Builds a {@link NamedTensors}. Not thread-safe. */
  public static final class Builder {
    // the first tensor is kept in fields: a one-tensor map (the common request) costs no hash map at all
    private @Nullable String firstName;
    private @Nullable Tensor firstTensor;
    // from the second tensor on; handed to the built map as is, and copied only if the builder is used again
    private @Nullable LinkedHashMap<String, Tensor> map;
    private boolean shared;

    private Builder() {}

    /**
     * Adds a tensor.
     *
     * @param name the name, unique within the map
     * @param tensor the tensor
     * @return this builder
     * @throws InvalidInputException if the name or tensor is null, or the name was already added
     */
    public Builder put(String name, Tensor tensor) {
      if (name == null) {
        throw new InvalidInputException("input name: expected a name but got null");
      }
      if (tensor == null) {
        throw new InvalidInputException("input '" + name + "': expected a tensor but got null");
      }
      LinkedHashMap<String, Tensor> m = map;
      if (m == null) {
        String first = firstName;
        if (first == null) {
          firstName = name;
          firstTensor = tensor;
          return this;
        }
        if (first.equals(name)) {
          throw duplicate(name);
        }
        m = new LinkedHashMap<>(8);
        m.put(first, firstTensor);
        map = m;
      } else if (shared) {
        m = new LinkedHashMap<>(m);
        map = m;
        shared = false;
      }
      if (m.putIfAbsent(name, tensor) != null) {
        throw duplicate(name);
      }
      return this;
    }

    private static InvalidInputException duplicate(String name) {
      return new InvalidInputException("input '" + name + "': expected one tensor per name but got it twice");
    }

    /**
     * Builds the immutable map. The builder may go on being used: later additions do not change maps built before.
     *
     * @return the map
     */
    public NamedTensors build() {
      LinkedHashMap<String, Tensor> m = map;
      if (m == null) {
        String first = firstName;
        Tensor tensor = firstTensor;
        return first == null || tensor == null ? EMPTY : new NamedTensors(first, tensor);
      }
      shared = true;
      return new NamedTensors(Collections.unmodifiableMap(m));
    }
  }
}
