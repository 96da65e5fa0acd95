package dev.tributary.flink.sql;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.apache.flink.table.functions.ScalarFunction;

/**
 * {@code tributary_pii_hash(value, keyFile)}: HMAC-SHA256 of the value's UTF-8 bytes in lower-case
 * hex, keyed with the content of {@code keyFile} on the TaskManager (a trailing line break is not
 * part of the key). The same bytes give the same hash as the Java feature job's PiiHasher, so one
 * person's hash is the same in every pipeline that shares the key.
 *
 * <p>Why a function reading a file rather than SQL's SHA2 over the key and the value: a key written
 * into the SQL would be a literal of the plan, shown by the Flink REST API and Web UI; only the
 * file's path is. Null stays null. Not thread-safe, as Flink calls a function instance from one
 * thread.
 */
public final class PiiHash extends ScalarFunction {
    private static final String ALGORITHM = "HmacSHA256";

    /** One Mac per key file; a job names one file, but nothing stops it naming two. */
    private transient Map<String, Mac> macs;

    public String eval(String value, String keyFile) {
        if (value == null) return null;
        if (keyFile == null) throw new IllegalArgumentException("tributary_pii_hash: the key file is null");
        if (macs == null) macs = new HashMap<>();
        Mac mac = macs.computeIfAbsent(keyFile, PiiHash::macFor);
        return HexFormat.of().formatHex(mac.doFinal(value.getBytes(StandardCharsets.UTF_8)));
    }

    static Mac macFor(String keyFile) {
        String key;
        try {
            key = Files.readString(Path.of(keyFile), StandardCharsets.UTF_8).replaceAll("[\r\n]+$", "");
        } catch (IOException e) {
            throw new UncheckedIOException("tributary_pii_hash: cannot read the PII hash key file " + keyFile, e);
        }
        if (key.isEmpty()) throw new IllegalStateException("tributary_pii_hash: the PII hash key file " + keyFile + " is empty");
        try {
            Mac mac = Mac.getInstance(ALGORITHM);
            mac.init(new SecretKeySpec(key.getBytes(StandardCharsets.UTF_8), ALGORITHM));
            return mac;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot initialise " + ALGORITHM, e);
        }
    }
}
