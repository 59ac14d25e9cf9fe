/* Few query rows: the decode path (packed rows of a key/value head, split keys). */
if (decode_takes(&p)) {
    return run_decode(&p, threads);
}
