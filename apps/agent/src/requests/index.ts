export { registerRequestHandlers, answerRequest, errorOf, REQUEST_HANDLERS, type Answer } from './register';
export { RequestFailure, type RequestContext, type MailboxSettings, type RequestErrorCode } from './context';
export { listQueue, readQueueMessage, queueChunk, findQueue, readQueued } from './queue';
export { deleteQueued, flushQueue, queueFilesOf } from './queue-delete';
export { mailboxUsers, listMailbox, readMailboxMessage, mailboxChunk, deleteMailboxMessages } from './mailbox';
