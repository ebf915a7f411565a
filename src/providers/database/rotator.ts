// `fn::rotate::postgres` and `fn::rotate::mysql`
// (https://www.pulumi.com/docs/esc/integrations/rotated-secrets/postgres/, .../mysql/): the documented
// two-user scheme. `rotateUsers: {username1, username2}` are two database users; state and output are
// `{current, previous}` credentials `{username, password (secret)}`. A rotation gives the `previous`
// user (username1 before any state) a new random password and makes it `current`; the old current
// becomes `previous`, still valid, so apps reading the environment never hold a dead password.
// Passwords are changed by `database.managingUser` over a direct connection (escd has no rotation
// connector: `connector` is refused while checking).
import { randomInt } from 'node:crypto';
import type { Rotator } from '../../esc/types.js';
import { escValue, isObject, type EscValue } from '../../esc/value.js';
import { ProviderError, type Schema } from '../../esc/provider.js';
import { stringAt, unknownKeys, valueAt } from '../input-checks.js';

export interface DatabaseTarget {
  readonly host: string;
  readonly port: number;
  readonly database: string;
  readonly username: string;
  readonly password: string;
}

/** Changes `username`'s password, connected as the managing user; rejects with the driver's error. */
export type ChangePassword = (target: DatabaseTarget, username: string, password: string) => Promise<void>;

const string = { type: 'string' } as const;
const credential = { type: 'object', properties: { username: string, password: string }, required: ['username', 'password'] } as const;

function inputSchema(defaultPort: number): Schema {
  return {
    type: 'object',
    properties: {
      database: {
        type: 'object',
        rotateOnly: true,
        properties: {
          connector: { type: 'object', description: 'A rotation connector (not supported by escd: it connects directly).' },
          database: { ...string, description: 'Name of the database to use.' },
          host: { ...string, description: 'Endpoint of the database.' },
          port: { type: 'integer', description: `Port of the database server (default ${defaultPort}).` },
          managingUser: { ...credential, description: 'A user that may change the passwords.' },
        },
        required: ['database', 'host', 'managingUser'],
      },
      rotateUsers: {
        type: 'object',
        properties: { username1: string, username2: string },
        required: ['username1', 'username2'],
      },
    },
    required: ['database', 'rotateUsers'],
  };
}

export const databaseStateSchema: Schema = { type: 'object', properties: { current: credential, previous: credential } };

/** 32 characters from letters and digits: ~190 bits, and nothing any SQL or URL quoting could trip on. */
export function newPassword(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  let out = '';
  for (let i = 0; i < 32; i++) out += alphabet[randomInt(alphabet.length)];
  return out;
}

function credentialValue(username: string, password: string): EscValue {
  return escValue(new Map([['username', escValue(username)], ['password', escValue(password, { secret: true })]]));
}

function stateOutput(state: EscValue | null): EscValue {
  const out = new Map<string, EscValue>();
  for (const name of ['current', 'previous']) {
    const item = state === null ? undefined : valueAt(state, name);
    if (item !== undefined && isObject(item.data)) out.set(name, item);
  }
  return escValue(out);
}

export function createDatabaseRotator(kind: 'postgres' | 'mysql', defaultPort: number, changePassword: ChangePassword): Rotator {
  const schema = inputSchema(defaultPort);
  return {
    inputSchema: schema,
    stateSchema: databaseStateSchema,
    outputSchema: databaseStateSchema,
    validate(inputs) {
      const issues = unknownKeys(schema, inputs);
      const database = valueAt(inputs, 'database');
      if (database !== undefined && !database.unknown && valueAt(database, 'connector') !== undefined) {
        issues.push({ path: ['database', 'connector'], message: 'escd rotates over a direct connection: rotation connectors (awsLambda) are not supported; remove `connector`' });
      }
      const users = valueAt(inputs, 'rotateUsers');
      const [one, two] = [stringAt(users, 'username1'), stringAt(users, 'username2')];
      if (one !== undefined && one === two) issues.push({ path: ['rotateUsers'], message: 'rotateUsers: username1 and username2 must be two different users' });
      return issues;
    },
    open: async (_inputs, state) => stateOutput(state),
    async rotate(inputs, state) {
      const users = valueAt(inputs, 'rotateUsers');
      const [one, two] = [stringAt(users, 'username1') ?? '', stringAt(users, 'username2') ?? ''];
      const current = state === null ? undefined : valueAt(state, 'current');
      const previous = state === null ? undefined : valueAt(state, 'previous');
      const currentUser = stringAt(current, 'username');
      // The user not in use: `previous`, else the one that is not `current`, else username1.
      const target = stringAt(previous, 'username') ?? (currentUser === one ? two : one);
      const database = valueAt(inputs, 'database');
      const managing = valueAt(database, 'managingUser');
      const port = valueAt(database, 'port')?.data;
      const where: DatabaseTarget = {
        host: stringAt(database, 'host') ?? '',
        port: port === undefined || port === null ? defaultPort : Number(port),
        database: stringAt(database, 'database') ?? '',
        username: stringAt(managing, 'username') ?? '',
        password: stringAt(managing, 'password') ?? '',
      };
      const password = newPassword();
      try {
        await changePassword(where, target, password);
      } catch (err) {
        const e = err as { message?: unknown; code?: unknown };
        const code = typeof e.code === 'string' ? ` (${e.code})` : '';
        const said = (typeof e.message === 'string' ? e.message : String(err)).split('\n')[0] ?? '';
        throw new ProviderError([
          { path: ['database'], message: `cannot set a new password for "${target}" on ${kind} at ${where.host}:${where.port}/${where.database} as "${where.username}"${code}: ${said}` },
        ]);
      }
      const next = new Map<string, EscValue>([['current', credentialValue(target, password)]]);
      if (current !== undefined && isObject(current.data) && currentUser !== target) next.set('previous', current);
      return escValue(next);
    },
  };
}
