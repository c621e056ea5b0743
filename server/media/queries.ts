// SQL for uploaded images (bytes in the database so app servers stay stateless).
import type { Db } from '../db/create-db.js';

/** Stores an image once per content hash; a second upload of the same bytes only updates its description. */
export async function saveImage(db: Db, image: { sha256: string; contentType: string; bytes: Buffer; projectId: number; uploadedBy: number; altText: string }): Promise<void> {
  await db
    .insertInto('images')
    .values({
      sha256: image.sha256,
      content_type: image.contentType,
      byte_size: image.bytes.length,
      bytes: image.bytes,
      project_id: image.projectId,
      uploaded_by: image.uploadedBy,
      alt_text: image.altText,
    })
    .onConflict((oc) => oc.column('sha256').doUpdateSet({ alt_text: image.altText }))
    .execute();
}

export async function findImage(db: Db, sha256: string) {
  return db.selectFrom('images').select(['content_type', 'bytes', 'byte_size']).where('sha256', '=', sha256).executeTakeFirst();
}

/** The description given when the image was last uploaded (undefined: no such image or never asked). */
export async function findImageAltText(db: Db, sha256: string): Promise<string | undefined> {
  const row = await db.selectFrom('images').select('alt_text').where('sha256', '=', sha256).executeTakeFirst();
  return row?.alt_text ?? undefined;
}
