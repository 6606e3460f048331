// Registers cdktf's Jest matchers (toHaveResource, toHaveResourceWithProperties, ...) once for
// every test file.
import { Testing } from 'cdktf';

Testing.setupJest();
