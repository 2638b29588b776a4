/**
 * @module repo/keys
 * Where the git data of a repository lives in the key-value store. Objects belong to a pool (a fork
 * network shares one); refs belong to a repository.
 *
 *   pool/<poolId>/pack/<seq>           PackRecord JSON (src/repo/pack-record.ts): present = published
 *   pool/<poolId>/pack-seq             the last assigned pack sequence number
 *   pool/<poolId>/packtrash/<blobId>   a replaced pack's blobs, deleted after a grace period
 *   pool/<poolId>/upload/<blobId>      an upload in progress: its blobs are swept if it never publishes
 *   packdata/<poolId>/<blobId>/data/…  the pack bytes, chunked (src/storage/chunked-blob.ts)
 *   packdata/<poolId>/<blobId>/index/… the pack index (src/repo/pack-index.ts), chunked
 *   repo/<repoId>/ref/<refname>        40 hex digits
 *   repo/<repoId>/refs-seq             bumped by every ref commit: the one CAS check that makes a
 *                                      multi-ref update atomic on backends with few checks per commit
 *   repo/<repoId>/shallow              shallow commit ids of an imported-with-depth repository
 */

export const packRecordPrefix = (poolId: string) => `pool/${poolId}/pack/`;
export const packRecordKey = (poolId: string, seqPart: string) => `pool/${poolId}/pack/${seqPart}`;
export const packSeqKey = (poolId: string) => `pool/${poolId}/pack-seq`;
export const packDataPrefix = (poolId: string, blobId: string) => `packdata/${poolId}/${blobId}/data`;
export const packIndexPrefix = (poolId: string, blobId: string) => `packdata/${poolId}/${blobId}/index`;
export const packBlobsPrefix = (poolId: string) => `packdata/${poolId}/`;
export const refPrefix = (repoId: string) => `repo/${repoId}/ref/`;
export const refKey = (repoId: string, name: string) => `repo/${repoId}/ref/${name}`;
export const refsSeqKey = (repoId: string) => `repo/${repoId}/refs-seq`;
export const repoShallowKey = (repoId: string) => `repo/${repoId}/shallow`;
export const packTrashPrefix = (poolId: string) => `pool/${poolId}/packtrash/`;
export const packTrashKey = (poolId: string, blobId: string) => `pool/${poolId}/packtrash/${blobId}`;
export const uploadPrefix = (poolId: string) => `pool/${poolId}/upload/`;
export const uploadKey = (poolId: string, blobId: string) => `pool/${poolId}/upload/${blobId}`;
