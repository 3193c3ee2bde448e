/** Basis points: 100 bp = 1 %, 10 000 bp = 100 %. */
export const MAX_FEE_BP = 10_000;

/** The instance fee on an amount: ⌊amount × bp / 10 000⌋, so the fee never exceeds its rate. */
export function fee(amount: bigint, feeBp: number): bigint {
  if (amount < 0n) throw new RangeError(`fee of a negative amount: ${amount}`);
  if (!Number.isInteger(feeBp) || feeBp < 0 || feeBp > MAX_FEE_BP)
    throw new RangeError(`fee must be 0–${MAX_FEE_BP} basis points, got ${feeBp}`);
  return (amount * BigInt(feeBp)) / BigInt(MAX_FEE_BP);
}

/** "10%", "2.5%" — for telling users the fee before they pay. */
export function formatFeeRate(feeBp: number): string {
  const whole = Math.trunc(feeBp / 100);
  const frac = String(feeBp % 100)
    .padStart(2, "0")
    .replace(/0+$/, "");
  return `${whole}${frac ? `.${frac}` : ""}%`;
}
