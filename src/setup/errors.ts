import { UserError } from '../core/errors.js';

/** A setup refusal: the message is the one line the user reads (file, line, what to do). */
export class SetupError extends UserError {}
