package io.railyard.config;

import com.github.benmanes.caffeine.cache.Ticker;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

import java.time.Clock;

/**
 * The two clocks, as beans, so that whatever reads the time can be given another in tests: the wall clock (times
 * shown: status ages, log stamps) and the nanosecond ticker every duration and deadline is measured with (Caffeine's
 * {@link Ticker}, which the cache reads too).
 */
public class ClockProducer {

    @Produces
    @Singleton
    Clock clock() {
        return Clock.systemUTC();
    }

    @Produces
    @Singleton
    Ticker ticker() {
        return Ticker.systemTicker();
    }
}
