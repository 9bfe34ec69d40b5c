package io.railyard.memory;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The overload rule and its hysteresis (low-water 0.75, high-water 0.90), as a table. */
class HeapGuardRuleTest {

    @ParameterizedTest(name = "overloaded={0}, occupancy {1} -> {2}")
    @CsvSource({
            "false, 0.50, false",
            "false, 0.80, false",   // between the marks: stays as it was
            "false, 0.90, false",   // at the high-water mark: not above it
            "false, 0.91, true",
            "true,  0.95, true",
            "true,  0.80, true",    // between the marks: stays shedding
            "true,  0.75, true",    // at the low-water mark: not below it
            "true,  0.74, false",
            "true,  0.10, false"})
    void overloadedAboveHighWaterUntilBelowLowWater(boolean overloaded, double occupancy, boolean expected) {
        assertEquals(expected, HeapGuard.nextState(overloaded, occupancy, 0.75, 0.90));
    }
}
