import { type Logger, pino } from 'pino';

export type { Logger };

/** The process logger: JSON lines on stdout; `LOG_LEVEL=silent` turns it off (tests). */
export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'sightline' },
    redact: { paths: ['req.headers.authorization', '*.token', '*.secret'], censor: '[redacted]' },
  });
}
