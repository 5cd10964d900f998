/**
 * Numeric command-line flags of the benches: a typo stops the run with the flag's name and the allowed range
 * (exit status 2), never becomes NaN or 0 halfway through a long run.
 */
export function numFlag(name: string, text: string | undefined, min: number, max: number, integer = false): number {
  const v = Number(text);
  if (text === undefined || text.trim() === '' || !Number.isFinite(v) || (integer && !Number.isInteger(v)) || v < min || v > max) {
    process.stderr.write(`--${name} must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max} (got ${JSON.stringify(text)})\n`);
    process.exit(2);
  }
  return v;
}

export const intFlag = (name: string, text: string | undefined, min: number, max = Number.MAX_SAFE_INTEGER): number =>
  numFlag(name, text, min, max, true);
