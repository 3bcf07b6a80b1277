/** Flags shared by several commands; each also reads a MIRROR_* environment variable (CI habit). */
import { Flags } from '@oclif/core';

/** `--config FILE` / MIRROR_CONFIG. */
export const configFlag = Flags.string({ char: 'c', description: 'config file (default: mirror.config.{ts,mts,js,mjs,json} in the working directory)', env: 'MIRROR_CONFIG' });

/** `--target ADDR` (repeatable) / MIRROR_TARGET (comma-separated). */
export const targetFlag = Flags.string({ description: 'only this address and what it depends on (repeatable)', multiple: true, delimiter: ',', env: 'MIRROR_TARGET' });

/** `--replace ADDR` / MIRROR_REPLACE: rebuild a recorded version from source (Terraform's -replace). */
export const replaceFlag = Flags.string({ description: 'rebuild this version from source although it exists (APP@VERSION; repeatable): new index, version and floating tags move to it, the old digest stays in history', multiple: true, delimiter: ',', env: 'MIRROR_REPLACE' });

/** `--no-color` / MIRROR_NO_COLOR. */
export const noColorFlag = Flags.boolean({ description: 'no ANSI colours', env: 'MIRROR_NO_COLOR' });

/** A repeatable flag as a list, whether it came from argv (array) or the environment (comma-separated string). */
export function listFlag(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean);
}

/** `--json` for commands that also have a human view. */
export const jsonFlag = Flags.boolean({ description: 'print JSON on stdout', env: 'MIRROR_JSON' });

/** `--format text|markdown|json` / MIRROR_FORMAT for commands that render a plan. */
export const formatFlag = Flags.string({ description: 'output format', options: ['text', 'markdown', 'json'], env: 'MIRROR_FORMAT' });

/** `--lock-timeout` / MIRROR_LOCK_TIMEOUT for every command that changes state. */
export const lockTimeoutFlag = Flags.string({ description: 'how long to wait for the state lock (e.g. 30s)', default: '0s', env: 'MIRROR_LOCK_TIMEOUT' });
