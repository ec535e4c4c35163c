import type { FastifyBaseLogger } from 'fastify';
import type { Bindings, ChildLoggerOptions, LevelWithSilentOrString } from 'pino';

type LogArgs = [unknown, ...unknown[]];

/**
 * A request's logger (`request.log`), whose pino child (with the request id bound, and redaction) is made
 * the first time something logs through it. Fastify makes one for every request; most requests log
 * nothing below info (a successful read writes no summary line), and making the child for each was a
 * measurable part of a session check (issue 18).
 */
class LazyChildLogger implements FastifyBaseLogger {
  private made: FastifyBaseLogger | undefined;

  constructor(
    private readonly parent: FastifyBaseLogger,
    private readonly bindings: Bindings,
    private readonly options: ChildLoggerOptions,
  ) {}

  private get real(): FastifyBaseLogger {
    return (this.made ??= this.parent.child(this.bindings, this.options));
  }

  get level(): LevelWithSilentOrString {
    return this.made?.level ?? this.options.level ?? this.parent.level;
  }

  set level(level: LevelWithSilentOrString) {
    this.real.level = level;
  }

  fatal(...args: LogArgs): void {
    (this.real.fatal as (...args: LogArgs) => void)(...args);
  }
  error(...args: LogArgs): void {
    (this.real.error as (...args: LogArgs) => void)(...args);
  }
  warn(...args: LogArgs): void {
    (this.real.warn as (...args: LogArgs) => void)(...args);
  }
  info(...args: LogArgs): void {
    (this.real.info as (...args: LogArgs) => void)(...args);
  }
  debug(...args: LogArgs): void {
    (this.real.debug as (...args: LogArgs) => void)(...args);
  }
  trace(...args: LogArgs): void {
    (this.real.trace as (...args: LogArgs) => void)(...args);
  }
  silent(): void {}

  child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return this.real.child(bindings, options);
  }
}

/** Fastify's `childLoggerFactory`: the request's logger, made lazily (see LazyChildLogger). */
export function lazyChildLogger(
  logger: FastifyBaseLogger,
  bindings: Bindings,
  options: ChildLoggerOptions,
): FastifyBaseLogger {
  return new LazyChildLogger(logger, bindings, options);
}
