/**
 * The AWS SDK prints a NodeVersionSupportWarning on the first client of every process running on
 * Node < 22 (its releases after January 2027 will need Node 22). It is about upgrading Node, says
 * nothing about this agent's work, and would be printed on every start, so the plugin turns it off
 * through the SDK's own switch, unless the user set that switch. Other warnings are untouched.
 * Imported for its effect by the s3 sink; it must run before the first S3Client is made.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
