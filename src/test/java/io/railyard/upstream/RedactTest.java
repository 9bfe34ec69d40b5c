package io.railyard.upstream;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class RedactTest {

    @Test
    void aUrlInATextKeepsSchemeHostAndPortOnly() {
        assertEquals("probe failed: POST https://eth.provider.example:8443 answered 401",
                Redact.urls("probe failed: POST https://user:pw@eth.provider.example:8443/v2/SECRETKEY?apikey=Q answered 401"));
        assertEquals("ws://10.0.0.1:8546 closed; http://node-b.internal too",
                Redact.urls("ws://10.0.0.1:8546/ws/KEY closed; http://node-b.internal/?token=T too"));
    }

    @Test
    void textWithoutUrlsIsUntouched() {
        String text = "testnet/node-0: AnnotatedConnectException: Connection refused: /127.0.0.1:25309";
        assertEquals(text, Redact.urls(text));
        assertNull(Redact.urls(null));
    }

    @Test
    void somethingThatIsNotAUrlKeepsOnlyItsScheme() {
        assertEquals("bad: http://…", Redact.urls("bad: http://[nothost/KEY"));
    }
}
