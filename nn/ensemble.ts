/** The book's ensemble (chapter 6): several networks vote, and each example gets the class most of them predict. */

/**
 * Each example's majority class over the members' predictions (one Int32Array per member, one entry per
 * example); a tie goes to the tied class the earliest member voted for.
 */
export function majorityVote(predictions: readonly Int32Array[], classes: number): Int32Array {
  if (predictions.length === 0) throw new Error("majorityVote: no members");
  const n = predictions[0].length;
  if (predictions.some((p) => p.length !== n)) throw new Error(`majorityVote: members predicted different numbers of examples (${predictions.map((p) => p.length).join(", ")})`);
  const out = new Int32Array(n);
  const votes = new Int32Array(classes);
  for (let i = 0; i < n; i++) {
    votes.fill(0);
    let most = 0;
    for (const p of predictions) {
      const c = p[i];
      if (!(c >= 0 && c < classes)) throw new Error(`majorityVote: class ${c} is outside 0-${classes - 1}`);
      most = Math.max(most, ++votes[c]);
    }
    out[i] = predictions.find((p) => votes[p[i]] === most)![i];
  }
  return out;
}
