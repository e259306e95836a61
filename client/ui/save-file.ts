/** Saving a result as a download, the way every panel offers its output. */

/** Offers `blob` as a download called `name`. */
export function saveFile(blob: Blob, name: string): void {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = name;
  a.click();
  // Revoked later, not at once: the download may not have read the blob yet.
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}
