package io.gradflow.drift;

/**
 * One change a model's detector signalled, and what the model did about it.
 *
 * @param example the model step at the detection: the examples it had learned, counting the one
 *     that completed the detection
 * @param eventTime the event time of that example (milliseconds since the epoch)
 * @param detector the detector's configuration name ({@code adwin})
 * @param action the actions taken, by configuration name, joined with {@code +}
 *     ({@code restart_schedule+boost_lr}); {@code none} when the policy has no action
 */
public record DriftEvent(long example, long eventTime, String detector, String action) {}
