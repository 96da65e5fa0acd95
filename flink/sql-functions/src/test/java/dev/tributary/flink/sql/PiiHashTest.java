package dev.tributary.flink.sql;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PiiHashTest {
    @TempDir Path dir;

    @Test
    void hashesLikeHmacSha256OfTheKeyFile() throws IOException {
        Path key = Files.writeString(dir.resolve("key"), "key\n");
        // RFC 4231-style check value, computed with: printf %s 'The quick brown fox jumps over the lazy dog' | openssl dgst -sha256 -hmac key
        assertEquals(
                "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8",
                new PiiHash().eval("The quick brown fox jumps over the lazy dog", key.toString()));
    }

    @Test
    void keepsNull() throws IOException {
        Path key = Files.writeString(dir.resolve("key"), "key");
        assertNull(new PiiHash().eval(null, key.toString()));
    }

    @Test
    void refusesAMissingOrEmptyKeyFile() throws IOException {
        assertThrows(UncheckedIOException.class, () -> new PiiHash().eval("x", dir.resolve("absent").toString()));
        Path empty = Files.writeString(dir.resolve("empty"), "\n");
        assertThrows(IllegalStateException.class, () -> new PiiHash().eval("x", empty.toString()));
    }
}
