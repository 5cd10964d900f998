/**
 * 404 for unknown terminals without a query on the common path: a terminal is known when the directory,
 * a live session or the latest-position cache has it; only then is storage asked (a primary-key lookup).
 * Callers check after an empty result, so a terminal with data never pays for the check.
 */
import { hasPositions } from '../store/queries/days.js';
import type { ApiContext } from './context.js';
import { terminalNotFound } from './errors.js';

export async function assertKnown(ctx: ApiContext, id: string): Promise<void> {
  if (ctx.terminals.get(id) || ctx.sessions.get(id) || ctx.latest.get(id)) return;
  if (await hasPositions(ctx.db, id)) return;
  throw terminalNotFound(id);
}
