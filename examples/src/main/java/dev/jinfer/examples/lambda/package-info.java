/**
 * An AWS Lambda handler over the fraud model ({@link dev.jinfer.examples.lambda.FraudHandler}): the model is
 * loaded and warmed in the static init, API Gateway proxy events are scored. See examples/README.md, "Lambda".
 */
package dev.jinfer.examples.lambda;
