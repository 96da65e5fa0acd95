package dev.tributary.flink.features;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Replaces PII (card number, email) with HMAC-SHA256 of its exact UTF-8 bytes, in lower-case
 * hex. Keyed, so nobody without the key can test a guessed card number against a hash.
 * The key is read from a file on the TaskManager, never passed as an argument, so it does not
 * appear in the job graph, the Flink UI or the REST API. Not serializable on purpose: each
 * task builds its own in {@code open()}. Not thread-safe (one Mac per instance).
 */
public final class PiiHasher {
    private static final String ALGORITHM = "HmacSHA256";
    private final Mac mac;

    public PiiHasher(byte[] key) {
        if (key.length == 0) throw new IllegalArgumentException("the PII hash key is empty");
        try {
            mac = Mac.getInstance(ALGORITHM);
            mac.init(new SecretKeySpec(key, ALGORITHM));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot initialise " + ALGORITHM, e);
        }
    }

    /** Reads the key file; a trailing line break (as editors add) is not part of the key. */
    public static PiiHasher fromKeyFile(Path file) throws IOException {
        String key = Files.readString(file, StandardCharsets.UTF_8).replaceAll("[\r\n]+$", "");
        if (key.isEmpty()) throw new IOException("PII hash key file " + file + " is empty");
        return new PiiHasher(key.getBytes(StandardCharsets.UTF_8));
    }

    public String hash(String value) {
        return HexFormat.of().formatHex(mac.doFinal(value.getBytes(StandardCharsets.UTF_8)));
    }
}
