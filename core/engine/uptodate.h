/*
 * The check of an up-to-date history: whether every migration of the folder is applied,
 * unchanged, and nothing else is in the history, answered without holding the files or the
 * history (the full path, engine.c, holds both: hundreds of bytes per migration, megabytes
 * over a long history).
 *
 * The files of a plain folder (core/files/listing.h) are listed by name and sorted by
 * version; the history is read newest first, one row at a time, and each row is compared
 * with the files of its version as they are read (through the scan cache, in the full
 * scan's order). The check gives up at the first thing it does not expect: a pending or
 * missing migration, an edited file, a dirty row, a repeatable, a layout that is not plain,
 * versions the database orders differently from strata (ORDER BY compares text: "9" comes
 * after "10"), any error. Giving up costs what was read so far; the caller then runs the
 * full path, which decides and words every case as before. The check never changes the
 * database and never fails.
 */
#ifndef STRATA_UPTODATE_H
#define STRATA_UPTODATE_H

#include <stddef.h>

#include "session.h"

/* What the caller is about to do: the conditions under which it would have nothing to do
 * or say differ. */
typedef enum strata_uptodate_purpose {
    STRATA_UPTODATE_UP,      /* up: every up script applied unchanged */
    STRATA_UPTODATE_VALIDATE /* validate: that, and no warning or note either (an edited or
                                missing down script, an empty script, a gap in sequence
                                numbers) */
} strata_uptodate_purpose;

/*
 * The number of migrations when the history holds exactly the folder's migrations, each
 * applied and unchanged (for purpose); 0 when not, or when the check cannot tell. Call it
 * where the full path would read the history (under the migration lock for up).
 */
size_t strata_uptodate(strata *s, strata_uptodate_purpose purpose);

#endif
