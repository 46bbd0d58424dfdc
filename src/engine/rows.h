/* The rows Docker's listing commands format (`ps`, `images`, `volume ls`,
 * `stats`, `events`), with Docker's field names and string shapes, and
 * the column titles of their `table` formats.  A front end formats them
 * with a template; an API server has the same values at hand. */
#ifndef BERTH_ENGINE_ROWS_H
#define BERTH_ENGINE_ROWS_H

#include <jansson.h>
#include <stdbool.h>

#include "engine.h"
#include "images.h"
#include "stats.h"
#include "volumes.h"

struct berth_row_opts {
  bool no_trunc; /* full ids, commands and mount names */
  bool size;     /* compute the container's Size (walks its upper dir) */
};

/* Docker's ContainerContext: ID Image Command CreatedAt RunningFor Ports
 * State Status Size Names Labels Mounts Networks LocalVolumes Platform.
 * *methods (may be NULL) gets {"Label": labels} for `.Label "k"`. */
json_t *berth_ctr_row(struct berth_engine *e, const struct berth_ctr *c,
                      const struct berth_row_opts *o, json_t **methods);
/* Docker's ImageContext rows of one image, one per tag (one `<none>` row
 * when untagged): ID Repository Tag Digest CreatedSince CreatedAt Size
 * VirtualSize SharedSize UniqueSize Containers. */
json_t *berth_image_rows(struct berth_engine *e, const struct berth_image *img,
                         const struct berth_row_opts *o);
/* Docker's VolumeContext: Name Driver Scope Mountpoint Labels Links Size;
 * *methods gets {"Label": labels}. */
json_t *berth_volume_row(struct berth_engine *e, const struct berth_volume *v,
                         json_t **methods);
/* Docker's stats row: Container ID Name CPUPerc MemUsage MemPerc NetIO
 * BlockIO PIDs; prev NULL when there is no earlier sample (CPU 0.00%). */
json_t *berth_stats_row(const char *id, const char *name,
                        const struct berth_stats *prev,
                        const struct berth_stats *cur, bool no_trunc);
/* The Engine API's events.Message (JSON keys: status id from Type Action
 * Actor{ID Attributes} scope time timeNano), what `{{json .}}` prints;
 * *methods (may be NULL) gets its Go field names a template reads (Status
 * ID From Scope Time TimeNano). */
json_t *berth_event_message(const struct berth_event *ev, json_t **methods);

/* Column titles of each row's fields ({"ID": "CONTAINER ID", ...}). */
json_t *berth_ctr_row_headers(void);
json_t *berth_image_row_headers(void);
json_t *berth_volume_row_headers(void);
json_t *berth_stats_row_headers(void);

/* go-units HumanDuration: "Less than a second", "About a minute",
 * "3 hours", "2 weeks". */
void berth_human_duration(int64_t secs, char *out, size_t len);
/* go-units HumanSizeWithPrecision(n, 3): "1.23kB", "4.5MB", "0B". */
void berth_human_size(double bytes, char *out, size_t len);
/* Docker's SizeRw (bytes in the container's writable layer) and
 * SizeRootFs (that plus its image's). */
void berth_ctr_size(struct berth_engine *e, const struct berth_ctr *c,
                    uint64_t *rw, uint64_t *rootfs);
/* Entrypoint and Cmd joined by spaces (Docker's summary Command, ps's
 * COMMAND before quoting).  malloc'd; NULL without memory. */
char *berth_ctr_command_text(const struct berth_ctr *c);
/* Docker's ps STATUS: "Up 5 seconds (healthy)", "Exited (0) 3 minutes
 * ago", "Created". */
void berth_ctr_status_text(const struct berth_ctr *c, char *out, size_t len);

#endif
