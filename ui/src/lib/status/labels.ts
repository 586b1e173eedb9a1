/** "Aucune modification en attente", "1 modification en attente", "3 modifications en attente". */
export function pendingLabel(pending: number): string {
  if (pending <= 0) return 'Aucune modification en attente';
  // French uses the singular for 0 and 1; 0 has its own sentence above.
  return pending === 1 ? '1 modification en attente' : `${pending} modifications en attente`;
}
