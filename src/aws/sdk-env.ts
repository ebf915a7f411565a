// The one process-wide setting escd makes for the AWS SDK.

/**
 * The SDK prints a multi-line NodeVersionSupportWarning on Node < 22 about *future* SDK releases.
 * escd pins its SDK and supports Node 20, so the warning would only alarm users of `escd open`
 * and fill daemon logs. An explicit setting by the user wins.
 */
export function quietSdkVersionWarning(): void {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
}
