package io.gradflow.schema;

/**
 * Bytes that are not a readable single-object-encoded record of the expected type: a missing or
 * wrong header, a schema fingerprint no reader knows, or a body that does not parse. The message
 * says which.
 */
public final class CodecException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public CodecException(String message, Throwable cause) {
    super(message, cause);
  }
}
