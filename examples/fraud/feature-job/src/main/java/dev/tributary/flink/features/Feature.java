package dev.tributary.flink.features;

/** Per-transaction features of a card (schemas/feature.avsc); nullable fields are boxed. */
public record Feature(
        String transactionId,
        String cardHash,
        String emailHash,
        String merchantId,
        String merchantCategory,
        double amount,
        long eventTime,
        long txnCount10m,
        double amountSum10m,
        double amountMean10m,
        double amountMax10m,
        long txnCount1h,
        double amountSum1h,
        double amountMean1h,
        double amountMax1h,
        long txnCount24h,
        double amountSum24h,
        double amountMean24h,
        double amountMax24h,
        long distinctMerchants1h,
        Double secondsSincePrev,
        double amountToMean24h,
        Double distanceKmFromPrev,
        Double speedKmhFromPrev,
        boolean isNewDevice,
        int hourOfDay,
        String featureJobVersion) {
}
