// Which environments live in Pulumi Cloud: those whose org config.yaml maps to a service URL. A name
// is `[org/]project/env[@version]`; without an org it belongs to the default org (config.yaml `org`).
import { cloudUrlOf, type EscdConfig } from '../config/config.js';
import type { CloudEnvironmentRef } from './client.js';

export interface CloudTarget {
  readonly url: string;
  readonly ref: CloudEnvironmentRef;
  /** `org/project/env[@version]`: the cache key and the name in messages. */
  readonly name: string;
}

/** The cloud environment `name` denotes, or undefined when its org is local (or it is no such name). */
export function cloudTargetOf(config: EscdConfig, name: string): CloudTarget | undefined {
  const at = name.indexOf('@');
  const bare = at < 0 ? name : name.slice(0, at);
  const version = at < 0 ? undefined : name.slice(at + 1);
  const parts = bare.split('/');
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => p === '') || version === '') return undefined;
  const [org, project, env] = parts.length === 3 ? parts : [config.org, ...parts];
  const url = cloudUrlOf(config, org!);
  if (url === undefined) return undefined;
  const ref: CloudEnvironmentRef = { org: org!, project: project!, name: env!, ...(version ? { version } : {}) };
  return { url, ref, name: `${org}/${project}/${env}${version ? `@${version}` : ''}` };
}

/** The same environment without a version (its latest revision). */
export function withoutVersion(target: CloudTarget): CloudTarget {
  const { org, project, name } = target.ref;
  return { url: target.url, ref: { org, project, name }, name: `${org}/${project}/${name}` };
}
