package dev.tributary.flink.features;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class DistinctStringsTest {
    @Test
    void countsEqualStringsOnceWhateverTheirInstance() {
        DistinctStrings strings = new DistinctStrings();
        assertTrue(strings.add("m-1"));
        assertFalse(strings.add(new String("m-1")));
        assertTrue(strings.add("m-2"));
        assertEquals(2, strings.count());
    }

    @Test
    void keepsCountingPastItsFirstTableAndForgetsEverythingOnClear() {
        DistinctStrings strings = new DistinctStrings();
        for (int round = 0; round < 3; round++) {
            for (int i = 0; i < 500; i++) strings.add("m-" + (i % 300));
            assertEquals(300, strings.count());
            strings.clear();
            assertEquals(0, strings.count());
            assertTrue(strings.add("m-7"));
            strings.clear();
        }
    }

    @Test
    void stringsWithEqualHashesStayDistinct() {
        DistinctStrings strings = new DistinctStrings();
        assertEquals("Aa".hashCode(), "BB".hashCode());
        assertTrue(strings.add("Aa"));
        assertTrue(strings.add("BB"));
        assertFalse(strings.add("BB"));
        assertEquals(2, strings.count());
    }
}
