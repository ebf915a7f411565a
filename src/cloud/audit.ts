// A call to Pulumi Cloud as an audit line: operation, status and the service's request id, no token.
import type { AuditEvent } from '../audit/audit-log.js';
import type { CloudCall } from './client.js';

export function cloudCallEvent(call: CloudCall): AuditEvent {
  return {
    environment: call.environment,
    action: 'cloud.call',
    outcome: typeof call.status === 'number' && call.status < 400 ? 'ok' : 'error',
    operation: call.operation,
    status: call.status,
    ...(call.requestId ? { requestId: call.requestId } : {}),
  };
}
