/** Progress lines go to stderr with the elapsed time, so stdout stays clean for results and --json. */
export function progressPrinter(began = Date.now()): (line: string) => void {
  return (line) => {
    const seconds = ((Date.now() - began) / 1000).toFixed(1).padStart(6);
    process.stderr.write(`[${seconds}s] ${line}\n`);
  };
}
