/** Messages for queue and mailbox tests: one with a binary attachment, as a mail client sends it. */
export const ATTACHMENT = Buffer.from(Array.from({ length: 5000 }, (_, i) => i % 251));

export function mimeWithAttachment(subject: string, attachment: Buffer = ATTACHMENT): string {
  return [
    'From: Alice <alice@example.com>',
    'To: bob@gmail.com',
    `Subject: ${subject}`,
    'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="b1"',
    '',
    '--b1',
    'Content-Type: text/plain; charset=utf-8',
    '',
    'Hello Bob, the report is attached.',
    '--b1',
    'Content-Type: application/octet-stream; name="report.bin"',
    'Content-Disposition: attachment; filename="report.bin"',
    'Content-Transfer-Encoding: base64',
    '',
    attachment.toString('base64').replace(/.{76}/g, '$&\n'),
    '--b1--',
    '',
  ].join('\n');
}
