package io.railyard.config;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Issue 16, finding 9: dev mode fronts a devnet whose funded keys are public, so it listens on loopback only; the
 * packaged gateway (and the image) keep listening on every interface.
 */
class DevModeBindingTest {

    @Test
    void devModeListensOnLoopbackAndThePackagedGatewayOnEveryInterface() throws IOException {
        Properties p = new Properties();
        try (InputStream in = getClass().getClassLoader().getResourceAsStream("application.properties")) {
            p.load(in);
        }
        assertEquals("127.0.0.1", p.getProperty("%dev.quarkus.http.host"));
        assertEquals("127.0.0.1", p.getProperty("%dev.quarkus.management.host"));
        assertEquals("0.0.0.0", p.getProperty("quarkus.http.host"));
        assertEquals("0.0.0.0", p.getProperty("quarkus.management.host"));
    }
}
