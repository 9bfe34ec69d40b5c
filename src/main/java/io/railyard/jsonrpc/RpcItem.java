package io.railyard.jsonrpc;

/** One entry of a decoded body: a valid request, or an entry that is answered with an error without going anywhere. */
public sealed interface RpcItem permits RpcItem.Valid, RpcItem.Invalid {

    /** The raw id to answer with; JSON {@code null} when the id could not be read. */
    byte[] replyId();

    record Valid(RpcRequest request) implements RpcItem {
        @Override
        public byte[] replyId() {
            return request.id() == null ? RpcAnswer.NULL : request.id();
        }
    }

    /** @param id the entry's id when it was itself valid, else JSON {@code null} */
    record Invalid(byte[] id, RpcErrorCode code, String message) implements RpcItem {
        @Override
        public byte[] replyId() {
            return id;
        }
    }
}
