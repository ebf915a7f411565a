// The password changes of the database rotators, through `pg` and `mysql2` (loaded when first used).
import type { ChangePassword } from './rotator.js';

const CONNECT_TIMEOUT_MS = 10_000;

export const changePostgresPassword: ChangePassword = async (target, username, password) => {
  const { default: pg } = await import('pg');
  const client = new pg.Client({
    host: target.host,
    port: target.port,
    database: target.database,
    user: target.username,
    password: target.password,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    query_timeout: CONNECT_TIMEOUT_MS,
  });
  await client.connect();
  try {
    // ALTER ROLE takes no bind parameters: quote the name and the literal with the driver's escaping.
    await client.query(`ALTER ROLE ${client.escapeIdentifier(username)} WITH PASSWORD ${client.escapeLiteral(password)}`);
  } finally {
    await client.end().catch(() => undefined);
  }
};

export const changeMysqlPassword: ChangePassword = async (target, username, password) => {
  const mysql = await import('mysql2/promise');
  const connection = await mysql.createConnection({
    host: target.host,
    port: target.port,
    database: target.database,
    user: target.username,
    password: target.password,
    connectTimeout: CONNECT_TIMEOUT_MS,
  });
  try {
    // `'name'` is the user at any host ('%'), as the documented setup creates them.
    await connection.query('ALTER USER ? IDENTIFIED BY ?', [username, password]);
  } finally {
    await connection.end().catch(() => undefined);
  }
};
