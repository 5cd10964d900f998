// The two ways loadConfig ends without a Config.

export interface ConfigIssue {
  /** The name the user wrote: `FLEETGATE_JT808_PORT`, `--jt808-port`, or the unknown name itself. */
  readonly name: string;
  /** Starts with the name: `FLEETGATE_JT808_PORT: "70000" is not a port (1-65535)`. */
  readonly message: string;
}

export const issue = (name: string, text: string): ConfigIssue => ({ name, message: `${name}: ${text}` });

/** Thrown by loadConfig; the message has one line per problem, each naming the setting. Exit 2. */
export class ConfigError extends Error {
  readonly issues: readonly ConfigIssue[];
  constructor(issues: readonly ConfigIssue[]) {
    super(issues.map((i) => i.message).join('\n'));
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

/** Thrown by loadConfig for `--help`/`-h`; the message is the help text. Print it to stdout and exit 0. */
export class HelpRequested extends Error {
  constructor(help: string) {
    super(help);
    this.name = 'HelpRequested';
  }
}
