package dev.panamax.engine.io;

/**
 * The element types a safetensors header may name, with their sizes. All are known, so that a file holding, say,
 * an int64 buffer next to the weights can still be opened and validated; Panamax tensors are float32, so only
 * the floating-point types can be read ({@link #readableAsFloat()}), converted exactly (F16, BF16) or rounded
 * (F64) to float32.
 */
public enum DType {
    BOOL(1), U8(1), I8(1), F8_E5M2(1), F8_E4M3(1),
    I16(2), U16(2), F16(2), BF16(2),
    I32(4), U32(4), F32(4),
    I64(8), U64(8), F64(8);

    private final int bytes;

    DType(int bytes) {
        this.bytes = bytes;
    }

    /** Bytes per element. */
    public int bytes() {
        return bytes;
    }

    /** Whether {@code SafeTensorsFile.read} can convert this type to float32. */
    public boolean readableAsFloat() {
        return this == F32 || this == F16 || this == BF16 || this == F64;
    }

    /** The type named {@code name} in a header ("F32", "BF16", ...), or null when there is none. */
    public static DType forName(String name) {
        for (DType type : values()) {
            if (type.name().equals(name)) {
                return type;
            }
        }
        return null;
    }
}
