package io.railyard.evm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.util.Random;

class Keccak256Test {

    static final String SIGNED_TX = "0xf86c098504a817c800825208943535353535353535353535353535353535353535880de0b6b3a7640000"
            + "8025a028ef61340bd939bc2195fe537567866003e1a15d3c71ff63e1590620aa636276a067cbe9d8997f761aecb703304b3800ccf555c9f3dc64214b297fb1966a3b6d83";

    @Test
    void knownVectors() {
        assertEquals("0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470", Keccak256.hexHash(new byte[0]));
        assertEquals("0x4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45",
                Keccak256.hexHash("abc".getBytes(StandardCharsets.US_ASCII)));
    }

    @Test
    void signedTransactionHash() {
        assertEquals("0x33469b22e9f636356c4160a87eb19df52b7412e8eac32a4a55ffe88ea8350788",
                Keccak256.hexHash(Keccak256.hexToBytes(SIGNED_TX)));
    }

    /** Lengths around the 136-byte rate are where padding goes wrong; web3j (Bouncy Castle) is the reference. */
    @Test
    void matchesReferenceAcrossBlockBoundaries() {
        Random random = new Random(42);
        for (int length = 0; length <= 3 * 136 + 1; length++) {
            byte[] data = new byte[length];
            random.nextBytes(data);
            assertArrayEquals(org.web3j.crypto.Hash.sha3(data), Keccak256.hash(data), "length " + length);
        }
    }

    @Test
    void hex() {
        assertArrayEquals(new byte[] {0x00, (byte) 0xab, (byte) 0xCD, 0x7f}, Keccak256.hexToBytes("0x00abCD7f"));
        assertArrayEquals(new byte[0], Keccak256.hexToBytes("0x"));
        assertEquals("0x00abcd7f", Keccak256.toHex(new byte[] {0x00, (byte) 0xab, (byte) 0xcd, 0x7f}));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "00", "0x0", "0xabc", "0xzz", "0X00", "0x0g"})
    void badHex(String hex) {
        assertThrows(IllegalArgumentException.class, () -> Keccak256.hexToBytes(hex));
    }
}
