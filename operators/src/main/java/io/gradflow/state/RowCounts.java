package io.gradflow.state;

/**
 * One model's rows, from its {@link RowBook} (saved with the model).
 *
 * @param live rows updated at least once and not expired since, bias and dense rows included
 *     (without a {@code rows} policy, every row of every direct page the model has touched)
 * @param expired rows expired since the model began ({@code rows.expire_after})
 * @param refused sightings of features left out because their row was not admitted yet
 *     ({@code rows.admit_after}, {@code rows.admit_probability})
 */
public record RowCounts(long live, long expired, long refused) {}
