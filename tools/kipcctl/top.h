/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kipcctl top --record and kipcctl plot: the record file's text format
 * (kipcctl(8)). After the comment lines, one line per object per sample:
 *   TIME SAMPLE KIND OBJECT DEPTH UNIT LIMIT RATE BASIS
 * TIME in seconds since the first sample, SAMPLE from 0, OBJECT "KIND:ID"
 * without spaces (at most TOP_NAME_LEN - 1 bytes: a longer one is cut and
 * ends in "~" and a hash of the whole), LIMIT -1 when unknown.
 */
#ifndef KIPCCTL_TOP_H
#define KIPCCTL_TOP_H

#define TOP_NAME_LEN		96
#define TOP_RECORD_MAGIC	"# kipcctl top --record 1"
#define TOP_RECORD_COLUMNS	"# time sample kind object depth unit limit rate basis"

#endif /* KIPCCTL_TOP_H */
