/** One contact as vCard 3.0 lines wants it (RFC 2426): backslash, comma, semicolon and newlines escaped. */
const escaped = (value: string) =>
  value
    .replace(/\\/g, '\\\\')
    .replace(/\r?\n/g, '\\n')
    .replace(/([,;])/g, '\\$1');

export interface VCardContact {
  name: string;
  phone?: string | undefined;
  email?: string | undefined;
}

/** The contacts as one .vcf text, which phones and mail programs import. Lines end in CRLF, as the format asks. */
export function toVCard(contacts: VCardContact[]): string {
  return contacts
    .map((contact) =>
      [
        'BEGIN:VCARD',
        'VERSION:3.0',
        `FN:${escaped(contact.name)}`,
        `N:${escaped(contact.name)};;;;`,
        ...(contact.phone ? [`TEL;TYPE=CELL:${escaped(contact.phone)}`] : []),
        ...(contact.email ? [`EMAIL:${escaped(contact.email)}`] : []),
        'END:VCARD',
      ].join('\r\n'),
    )
    .join('\r\n')
    .concat('\r\n');
}

/** Hands a text to the browser as a file to save. */
export function saveText(fileName: string, type: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  // Revoked after the browser took the file, not before.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
