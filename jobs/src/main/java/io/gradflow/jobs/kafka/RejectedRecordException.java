package io.gradflow.jobs.kafka;

/**
 * A record refused by a decoder, with the reason and a detail naming the field and value. Has no
 * stack trace: it is a verdict on input, not a bug, and bad inputs can be frequent.
 */
public final class RejectedRecordException extends Exception {
  private static final long serialVersionUID = 1L;
  private final DeadLetterReason reason;

  public RejectedRecordException(DeadLetterReason reason, String detail) {
    super(detail, null, false, false);
    this.reason = reason;
  }

  public DeadLetterReason reason() {
    return reason;
  }
}
