/** A usage error of the command line (bad option, missing argument): exit code 2. */
export class CliError extends Error {
  override name = 'CliError';
}
