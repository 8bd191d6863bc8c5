package dev.panamax.models.diffusion;

import dev.panamax.engine.io.Json;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The shape of a {@link UNet}: the images it denoises and its widths.
 *
 * @param imageChannels      1 (grayscale) or 3 (RGB)
 * @param height             image height in pixels
 * @param width              image width in pixels
 * @param baseChannels       channels of the first level
 * @param channelMultipliers one per resolution level: level l has {@code baseChannels · multiplier[l]} channels;
 *                           each level after the first halves the resolution, so the image sides must be divisible
 *                           by 2^(levels − 1)
 * @param resBlocks          residual blocks per level on the way down (the way up has one more, for the skip of
 *                           the downsampling)
 * @param attentionHeads     heads of the self-attention at the lowest resolution (its channels must divide)
 * @param groups             GroupNorm groups; must divide {@code baseChannels}
 * @param classes            number of labels for class conditioning, 0 for an unconditional model
 * @param timeEmbedding      width of the time (and label) embedding
 */
public record UNetConfig(int imageChannels, int height, int width, int baseChannels, int[] channelMultipliers,
                         int resBlocks, int attentionHeads, int groups, int classes, int timeEmbedding) {

    public UNetConfig {
        channelMultipliers = channelMultipliers == null ? null : channelMultipliers.clone();
        List<String> problems = new ArrayList<>();
        if (imageChannels < 1) {
            problems.add("imageChannels must be >= 1, got " + imageChannels);
        }
        if (baseChannels < 1 || resBlocks < 1 || attentionHeads < 1 || groups < 1 || timeEmbedding < 2
                || classes < 0) {
            problems.add("baseChannels, resBlocks, attentionHeads, groups must be >= 1, timeEmbedding >= 2 and "
                    + "classes >= 0, got " + baseChannels + ", " + resBlocks + ", " + attentionHeads + ", " + groups
                    + ", " + timeEmbedding + ", " + classes);
        }
        if (channelMultipliers == null || channelMultipliers.length == 0) {
            problems.add("channelMultipliers needs at least one level");
        } else {
            for (int m : channelMultipliers) {
                if (m < 1) {
                    problems.add("every channel multiplier must be >= 1, got " + Arrays.toString(channelMultipliers));
                    break;
                }
            }
            int factor = 1 << (channelMultipliers.length - 1);
            if (height < 1 || width < 1 || height % factor != 0 || width % factor != 0) {
                problems.add("the image size " + height + "x" + width + " is not divisible by 2^"
                        + (channelMultipliers.length - 1) + " = " + factor + " (" + channelMultipliers.length
                        + " levels halve the resolution " + (channelMultipliers.length - 1) + " times); use fewer "
                        + "channel multipliers or another image size");
            }
            if (groups >= 1 && baseChannels % groups != 0) {
                problems.add(groups + " GroupNorm groups do not divide the " + baseChannels + " base channels");
            }
            int lowest = baseChannels * channelMultipliers[channelMultipliers.length - 1];
            if (attentionHeads >= 1 && lowest % attentionHeads != 0) {
                problems.add(attentionHeads + " attention heads do not divide the " + lowest
                        + " channels of the lowest resolution");
            }
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("UNetConfig: " + String.join("; ", problems));
        }
    }

    @Override
    public int[] channelMultipliers() {
        return channelMultipliers.clone();
    }

    public int levels() {
        return channelMultipliers.length;
    }

    /** Channels of level {@code level}. */
    public int channels(int level) {
        return baseChannels * channelMultipliers[level];
    }

    /** Floats per image. */
    public int imageSize() {
        return imageChannels * height * width;
    }

    public boolean conditional() {
        return classes > 0;
    }

    /** The config as a JSON object (a checkpoint's {@code config.json}). */
    public Map<String, Object> toJson() {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("image_channels", imageChannels);
        json.put("height", height);
        json.put("width", width);
        json.put("base_channels", baseChannels);
        List<Object> multipliers = new ArrayList<>();
        for (int m : channelMultipliers) {
            multipliers.add(m);
        }
        json.put("channel_multipliers", multipliers);
        json.put("res_blocks", resBlocks);
        json.put("attention_heads", attentionHeads);
        json.put("groups", groups);
        json.put("classes", classes);
        json.put("time_embedding", timeEmbedding);
        return json;
    }

    /** Reads {@link #toJson()}'s object back; a missing or mistyped entry names itself. */
    public static UNetConfig fromJson(Map<?, ?> json) {
        Object multipliers = json.get("channel_multipliers");
        if (!(multipliers instanceof List<?> list)) {
            throw new IllegalArgumentException("UNetConfig: channel_multipliers is missing or not a list");
        }
        int[] m = new int[list.size()];
        for (int i = 0; i < m.length; i++) {
            m[i] = integer(list.get(i), "channel_multipliers[" + i + "]");
        }
        return new UNetConfig(integer(json, "image_channels"), integer(json, "height"), integer(json, "width"),
                integer(json, "base_channels"), m, integer(json, "res_blocks"), integer(json, "attention_heads"),
                integer(json, "groups"), integer(json, "classes"), integer(json, "time_embedding"));
    }

    /** Parses a JSON string written from {@link #toJson()}. */
    public static UNetConfig fromJson(String text) {
        if (!(Json.parse(text) instanceof Map<?, ?> map)) {
            throw new IllegalArgumentException("UNetConfig: the config is not a JSON object");
        }
        return fromJson(map);
    }

    private static int integer(Map<?, ?> json, String key) {
        return integer(json.get(key), key);
    }

    private static int integer(Object value, String key) {
        if (!(value instanceof Long l) || l != l.intValue()) {
            throw new IllegalArgumentException("UNetConfig: " + key + " is missing or not an integer: " + value);
        }
        return l.intValue();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof UNetConfig c && imageChannels == c.imageChannels && height == c.height
                && width == c.width && baseChannels == c.baseChannels
                && Arrays.equals(channelMultipliers, c.channelMultipliers) && resBlocks == c.resBlocks
                && attentionHeads == c.attentionHeads && groups == c.groups && classes == c.classes
                && timeEmbedding == c.timeEmbedding;
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(channelMultipliers) * 31 + Arrays.hashCode(new int[] {imageChannels, height, width,
            baseChannels, resBlocks, attentionHeads, groups, classes, timeEmbedding});
    }

    @Override
    public String toString() {
        return "UNetConfig" + Json.write(toJson());
    }
}
