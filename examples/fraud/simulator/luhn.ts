/** The Luhn (mod 10) check digit that makes `payload + digit` valid, as card numbers carry. */
export function luhnCheckDigit(payload: string): number {
  let sum = 0;
  // Walking from the right, every second digit of the payload is doubled (the check digit is not).
  for (let i = payload.length - 1, double = true; i >= 0; i--, double = !double) {
    let digit = payload.charCodeAt(i) - 48;
    if (double) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return (10 - (sum % 10)) % 10;
}

/** Whether a string of digits ends in its correct Luhn check digit. */
export function passesLuhn(number: string): boolean {
  if (!/^\d{2,}$/.test(number)) return false;
  return luhnCheckDigit(number.slice(0, -1)) === Number(number.at(-1));
}
